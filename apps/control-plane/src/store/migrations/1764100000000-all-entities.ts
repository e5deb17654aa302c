import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every Kong entity. Each table: the columns Postgres enforces (keys, foreign keys with their ON DELETE
 * rule), `tags` for filtering, and the validated entity in `data`. Constraint names follow
 * table-spec.ts, which maps them back to Kong's error bodies (table-spec.spec.ts checks they agree).
 */
export class AllEntities1764100000000 implements MigrationInterface {
  name = 'AllEntities1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE certificates (id uuid PRIMARY KEY, tags text[], data jsonb NOT NULL)`);
    await q.query(`ALTER TABLE services
      ADD COLUMN tags text[],
      ADD COLUMN client_certificate_id uuid CONSTRAINT services_client_certificate_id_fkey REFERENCES certificates (id) ON DELETE RESTRICT`);
    await q.query(`ALTER TABLE routes ADD COLUMN tags text[]`);
    for (const t of ['services', 'routes'])
      await q.query(`UPDATE ${t} SET tags = ARRAY(SELECT jsonb_array_elements_text(data->'tags')) WHERE jsonb_typeof(data->'tags') = 'array'`);
    await q.query(`CREATE TABLE consumers (
      id uuid PRIMARY KEY,
      username text CONSTRAINT consumers_username_key UNIQUE,
      custom_id text CONSTRAINT consumers_custom_id_key UNIQUE,
      tags text[], data jsonb NOT NULL)`);
    await q.query(`CREATE TABLE plugins (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      instance_name text CONSTRAINT plugins_instance_name_key UNIQUE,
      route_id uuid CONSTRAINT plugins_route_id_fkey REFERENCES routes (id) ON DELETE CASCADE,
      service_id uuid CONSTRAINT plugins_service_id_fkey REFERENCES services (id) ON DELETE CASCADE,
      consumer_id uuid CONSTRAINT plugins_consumer_id_fkey REFERENCES consumers (id) ON DELETE CASCADE,
      tags text[], data jsonb NOT NULL,
      CONSTRAINT plugins_name_route_id_service_id_consumer_id_key UNIQUE NULLS NOT DISTINCT (name, route_id, service_id, consumer_id))`);
    await q.query(`CREATE TABLE upstreams (
      id uuid PRIMARY KEY,
      name text CONSTRAINT upstreams_name_key UNIQUE,
      client_certificate_id uuid CONSTRAINT upstreams_client_certificate_id_fkey REFERENCES certificates (id) ON DELETE RESTRICT,
      tags text[], data jsonb NOT NULL)`);
    await q.query(`CREATE TABLE targets (
      id uuid PRIMARY KEY,
      upstream_id uuid NOT NULL CONSTRAINT targets_upstream_id_fkey REFERENCES upstreams (id) ON DELETE CASCADE,
      target text NOT NULL,
      tags text[], data jsonb NOT NULL,
      CONSTRAINT targets_upstream_id_target_key UNIQUE (upstream_id, target))`);
    await q.query(`CREATE TABLE snis (
      id uuid PRIMARY KEY,
      name text CONSTRAINT snis_name_key UNIQUE,
      certificate_id uuid NOT NULL CONSTRAINT snis_certificate_id_fkey REFERENCES certificates (id) ON DELETE CASCADE,
      tags text[], data jsonb NOT NULL)`);
    await q.query(`CREATE TABLE ca_certificates (
      id uuid PRIMARY KEY,
      cert_digest text CONSTRAINT ca_certificates_cert_digest_key UNIQUE,
      tags text[], data jsonb NOT NULL)`);
    for (const [table, key] of [
      ['keyauth_credentials', 'key'],
      ['basicauth_credentials', 'username'],
      ['jwt_secrets', 'key'],
    ]) {
      await q.query(`CREATE TABLE ${table} (
        id uuid PRIMARY KEY,
        consumer_id uuid NOT NULL CONSTRAINT ${table}_consumer_id_fkey REFERENCES consumers (id) ON DELETE CASCADE,
        "${key}" text CONSTRAINT ${table}_${key}_key UNIQUE,
        tags text[], data jsonb NOT NULL)`);
    }
    await q.query(`CREATE TABLE acls (
      id uuid PRIMARY KEY,
      consumer_id uuid NOT NULL CONSTRAINT acls_consumer_id_fkey REFERENCES consumers (id) ON DELETE CASCADE,
      "group" text NOT NULL,
      tags text[], data jsonb NOT NULL,
      CONSTRAINT acls_consumer_id_group_key UNIQUE (consumer_id, "group"))`);
    for (const t of ['services', 'routes', 'consumers', 'plugins', 'upstreams', 'targets', 'certificates', 'snis', 'ca_certificates', 'keyauth_credentials', 'basicauth_credentials', 'jwt_secrets', 'acls'])
      await q.query(`CREATE INDEX ${t}_tags_idx ON ${t} USING gin (tags)`);
    for (const [t, c] of [['plugins', 'route_id'], ['plugins', 'service_id'], ['plugins', 'consumer_id'], ['targets', 'upstream_id'], ['snis', 'certificate_id'], ['keyauth_credentials', 'consumer_id'], ['basicauth_credentials', 'consumer_id'], ['jwt_secrets', 'consumer_id']])
      await q.query(`CREATE INDEX ${t}_${c}_idx ON ${t} (${c})`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['acls', 'jwt_secrets', 'basicauth_credentials', 'keyauth_credentials', 'ca_certificates', 'snis', 'targets', 'upstreams', 'plugins', 'consumers'])
      await q.query(`DROP TABLE ${t}`);
    await q.query(`ALTER TABLE routes DROP COLUMN tags`);
    await q.query(`ALTER TABLE services DROP COLUMN tags, DROP COLUMN client_certificate_id`);
    await q.query(`DROP TABLE certificates`);
  }
}
