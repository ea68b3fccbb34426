import NIOCore

extension AMQPConnectionHandler {
    /// Performs connection-level actions.
    func perform(_ actions: [AMQPConnectionStateMachine.Action]) {
        guard let context else { return }
        for action in actions {
            switch action {
            case .send(let m):
                context.writeAndFlush(wrapOutboundOut(AMQPFrame(channel: 0, payload: .method(m))), promise: nil)
            case .opened(let t):
                tuning = t
                startHeartbeats(t, context: context)
                handshake.succeed(t)
            case .blocked(let reason):
                logger.warning("AMQP server blocked publishing", metadata: ["server": "\(endpoint)", "reason": "\(reason)"])
                events.yield(.blocked(reason: reason))
            case .unblocked:
                events.yield(.unblocked)
            case .closeSocket(let error):
                if let error, failure == nil { failure = error }
                context.close(promise: nil)
            }
        }
    }

    /// Performs one channel's actions.
    func perform(_ actions: [AMQPChannelStateMachine.Action], channel number: UInt16) {
        for action in actions {
            switch action {
            case .send(let m):
                context?.write(wrapOutboundOut(AMQPFrame(channel: number, payload: .method(m))), promise: nil)
                flushSoon()
            case .complete(let id, let reply):
                if case .method(.basicCancelOk(let tag)) = reply {
                    channels[number]?.consumers.removeValue(forKey: tag)?.finish(nil)
                }
                if case .message(let m) = reply, channels[number]?.manualGets.remove(id) != nil {
                    channels[number]?.window.delivered(m.deliveryTag, manual: true)
                }
                channels[number]?.manualGets.remove(id)
                channels[number]?.requests.removeValue(forKey: id)?.succeed(reply)
            case .fail(let id, let error):
                if let p = channels[number]?.requests.removeValue(forKey: id) {
                    p.fail(error)
                } else {
                    handshake.futureResult.eventLoop.assertInEventLoop()
                }
            case .deliver(let tag, let message):
                if channels[number]?.deliver(message, to: tag) == true {
                    // Yielded with the rest of this read cycle's deliveries (channelReadComplete).
                    deliveriesPending = true
                    endOfTickSoon()
                } else {
                    logger.debug("AMQP delivery for unknown consumer dropped", metadata: ["consumer": "\(tag)"])
                }
            case .returned(let message):
                if let seq = channels[number]?.mandatory.popFirst() {
                    channels[number]?.returned[seq] = message
                }
            case .confirm(let seqs, let acked):
                for seq in seqs {
                    guard let p = channels[number]?.confirms.removeValue(forKey: seq) else { continue }
                    let returned = channels[number]?.returned.removeValue(forKey: seq)
                    if let i = channels[number]?.mandatory.firstIndex(of: seq) { channels[number]?.mandatory.remove(at: i) }
                    if acked {
                        p.succeed(AMQPPublishResult(confirmed: true, returned: returned))
                    } else {
                        p.fail(AMQPError(.nacked, "server nacked publish #\(seq) on channel \(number); the message may not be stored"))
                    }
                }
            case .consumerCancelled(let tag):
                channels[number]?.consumers.removeValue(forKey: tag)?.finish(
                    AMQPError(.consumerCancelled, "server cancelled consumer '\(tag)' on channel \(number) (queue deleted?)"))
            case .closed(let error):
                guard let record = channels.removeValue(forKey: number) else { continue }
                let failure = error ?? AMQPError(.invalidState, "channel \(number) was closed")
                record.acks?.close(AMQPError(
                    failure.kind, "channel \(number) is closed; cannot acknowledge (the server requeues its unacknowledged deliveries): \(failure.message)",
                    replyCode: failure.replyCode, replyText: failure.replyText))
                for p in record.requests.values { p.fail(failure) }
                for (seq, p) in record.confirms {
                    p.fail(AMQPError(
                        failure.kind, "publish #\(seq) on channel \(number) not confirmed: \(failure.message)",
                        replyCode: failure.replyCode, replyText: failure.replyText))
                }
                for sink in record.consumers.values { sink.finish(error) }
                record.closed.succeed()
            }
        }
    }

    func fail(_ error: AMQPError) {
        if failure == nil { failure = error }
        logger.debug("AMQP connection failed", metadata: ["server": "\(endpoint)", "error": "\(error)"])
        context?.close(promise: nil)
    }

    private func startHeartbeats(_ t: AMQPConnectionStateMachine.Tuning, context: ChannelHandlerContext) {
        guard t.heartbeatSeconds > 0 else { return }
        // Ours go out every half interval; the silence is checked every quarter interval, so
        // a dead peer is found between 2 and 2.25 intervals after its last frame.
        let interval = TimeAmount.seconds(Int64(t.heartbeatSeconds))
        let quarter = TimeAmount.milliseconds(Int64(t.heartbeatSeconds) * 250)
        lastReceived = context.eventLoop.now
        heartbeatTicks = 0
        heartbeatTask = context.eventLoop.scheduleRepeatedTask(initialDelay: quarter, delay: quarter) { [self] _ in
            guard let context = self.context else { return }
            if context.eventLoop.now - self.lastReceived > interval * 2 {
                self.fail(AMQPError(
                    .heartbeatMissed, "no frame from \(self.endpoint) for \(t.heartbeatSeconds * 2) s (two heartbeat intervals); connection considered dead"))
                return
            }
            self.heartbeatTicks += 1
            guard self.heartbeatTicks % 2 == 0 else { return }
            context.writeAndFlush(self.wrapOutboundOut(AMQPFrame(channel: 0, payload: .heartbeat)), promise: nil)
        }
    }
}
