// CeleryRabbitMQ: placeholder until its issue lands.
