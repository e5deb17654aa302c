import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE config_version (id integer PRIMARY KEY CHECK (id = 1), version bigint NOT NULL)`);
    await q.query(`INSERT INTO config_version (id, version) VALUES (1, 0)`);
    await q.query(`CREATE TABLE services (
      id uuid PRIMARY KEY,
      name text CONSTRAINT services_name_key UNIQUE,
      data jsonb NOT NULL)`);
    await q.query(`CREATE TABLE routes (
      id uuid PRIMARY KEY,
      name text CONSTRAINT routes_name_key UNIQUE,
      service_id uuid CONSTRAINT routes_service_id_fkey REFERENCES services (id) ON DELETE RESTRICT,
      data jsonb NOT NULL)`);
    await q.query(`CREATE INDEX routes_service_id_idx ON routes (service_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE routes`);
    await q.query(`DROP TABLE services`);
    await q.query(`DROP TABLE config_version`);
  }
}
