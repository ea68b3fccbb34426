// CeleryMongo: placeholder until its issue lands.
import CMongoC
