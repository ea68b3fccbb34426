import Celery
import Testing

/// Remote-control reply queues are recognised by kombu's name `<oid>.reply.<namespace>.pidbox`,
/// and nothing else is (a work queue taken for one would lose its durability).
@Suite struct ControlReplyQueueTests {
    @Test func namesAreKombus() {
        let r = ControlReplyQueue(oid: "0f5c3e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6")
        #expect(r.name == "0f5c3e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6.reply.celery.pidbox")
        #expect(r.exchange == "reply.celery.pidbox")
        #expect(ControlReplyQueue(name: r.name) == r)
        let other = ControlReplyQueue(name: "abc.reply.beat.pidbox")
        #expect(other?.oid == "abc" && other?.exchange == "reply.beat.pidbox")
    }

    @Test func otherQueuesAreNotReplyQueues() {
        for name in [
            "celery", "celery.pidbox", "reply.celery.pidbox", "pyw@host.celery.pidbox", "w@host.example.com.celery.pidbox",
            "abc.reply.pidbox", ".reply.celery.pidbox", "abc.reply.celery.pidbox.dead_letter", "abc.reply.celery.pidbox.dlx", "bcast.abc",
        ] {
            #expect(!ControlReplyQueue.isReplyQueue(name), "\(name)")
        }
    }
}
