// RESP: placeholder until its issue lands.
