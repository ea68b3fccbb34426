// CeleryRedis: placeholder until its issue lands.
