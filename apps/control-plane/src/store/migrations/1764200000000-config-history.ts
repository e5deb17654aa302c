import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Config history: one row per changed entity per version (who, what, before and after). */
export class ConfigHistory1764200000000 implements MigrationInterface {
  name = 'ConfigHistory1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE config_changes (
      id bigserial PRIMARY KEY,
      version bigint NOT NULL,
      entity text NOT NULL,
      entity_id uuid NOT NULL,
      op text NOT NULL CHECK (op IN ('create', 'update', 'delete')),
      before jsonb,
      after jsonb,
      actor text,
      at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE INDEX config_changes_version_idx ON config_changes (version)`);
    // the first version whose changes are recorded: older ones cannot be rolled back to
    await q.query(`ALTER TABLE config_version ADD COLUMN history_from bigint`);
    await q.query(`UPDATE config_version SET history_from = version`);
    await q.query(`ALTER TABLE config_version ALTER COLUMN history_from SET NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE config_version DROP COLUMN history_from`);
    await q.query(`DROP TABLE config_changes`);
  }
}
