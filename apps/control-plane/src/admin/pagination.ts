// Kong's list shape: {"data":[…],"offset":"<tok>","next":"/services?offset=<tok>&size=3"}; on the last
// page {"data":[…],"next":null}.
import type { Page } from '../store/entity-store';

export function listBody<T>(path: string, page: Page<T>, size: number, sizeGiven: boolean) {
  if (page.offset === null) return { data: page.data, next: null };
  const next = `${path}?offset=${encodeURIComponent(page.offset)}${sizeGiven ? `&size=${size}` : ''}`;
  return { data: page.data, offset: page.offset, next };
}
