// AMQP091: placeholder until its issue lands.
