// `/certificates/{id or SNI name}`: Kong addresses a certificate by its id or by any of its SNI names
// (kong/api/routes/certificates.lua, prepare_params and prepare_args). This middleware runs before
// routing and rewrites a name to the certificate's id, so the generic endpoints see an id.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isUuid } from '@archway/schema';
import type { EntityStore } from '../store/entity-store';
import type { DecodedBody } from './arguments-decoder';
import type { ExpressResponse } from './express-types';

type Req = IncomingMessage & { url: string; adminBody?: DecodedBody };
type Next = (err?: unknown) => void;

const CERTIFICATE_PATH = /^\/certificates\/([^/?]+)(\/[^?]*)?(\?.*)?$/;

/** Kong's PUT /certificates/{name} also points that name at the certificate (unless `snis` is absent). */
function addUrlName(body: Record<string, unknown>, name: string): void {
  const snis = body.snis;
  if (Array.isArray(snis)) {
    if (!snis.includes(name)) body.snis = [...snis, name];
  } else if (typeof snis === 'string') {
    body.snis = snis === name ? [snis] : [snis, name];
  }
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

export function certificateBySni(store: EntityStore) {
  return (req: Req, res: ExpressResponse, next: Next): void => {
    const m = CERTIFICATE_PATH.exec(req.url);
    const key = m ? decode(m[1]) : null;
    if (!m || key === null || isUuid(key)) return next();
    const [, , rest = '', query = ''] = m;
    store.find('snis', key).then((sni) => {
      const isPut = req.method === 'PUT';
      if (!sni && !isPut) {
        res.status(404).json({ message: 'SNI not found' });
        return;
      }
      // an unknown name under PUT creates a new certificate carrying that name
      const id = sni ? (sni.certificate as { id: string }).id : randomUUID();
      req.url = `/certificates/${id}${rest}${query}`;
      if (isPut && rest === '' && req.adminBody) addUrlName(req.adminBody.body, key);
      next();
    }, next);
  };
}
