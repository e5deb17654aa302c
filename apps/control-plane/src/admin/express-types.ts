// The slice of Express's response API the Admin API uses (Nest's default platform is Express).
import type { ServerResponse } from 'node:http';

export interface ExpressResponse extends ServerResponse {
  status(code: number): this;
  json(body: unknown): this;
}
