// Renders every error the Admin API raises the way Kong does: {code,name,message,fields} for entity
// errors, {"message":"Not found"} for unknown paths, and a generic 500 (logged) for our own bugs.
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import { ArchwayError } from '@archway/schema';
import type { Logger } from '@archway/telemetry';
import type { ExpressResponse } from './express-types';

@Catch()
export class KongErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<ExpressResponse>();
    if (err instanceof ArchwayError) {
      if (err.code === 6) res.status(404).json({ message: 'Not found' });
      else res.status(err.status).json(err.toBody());
      return;
    }
    if (err instanceof HttpException) {
      const status = err.getStatus();
      const message = status === 404 ? 'Not found' : status === 405 ? 'Method not allowed' : err.message;
      res.status(status).json({ message });
      return;
    }
    this.logger.error('admin API request failed', { err });
    res.status(500).json({ message: 'An unexpected error occurred' });
  }
}
