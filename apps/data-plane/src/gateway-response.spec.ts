import { responseFormat } from './gateway-response';

describe("gateway error format follows Accept like Kong's get_response_type", () => {
  it.each([
    [undefined, 'json'],
    ['*/*', 'json'],
    ['application/json', 'json'],
    ['text/plain', 'text'],
    ['text/*', 'text'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'html'],
    ['application/xml', 'xml'],
    ['image/png', 'json'],
    ['text/plain;q=0.2, text/html;q=0.9', 'html'],
    ['text/plain, text/html', 'text'],
    ['garbage', 'json'],
  ])('Accept %p -> %s', (accept, format) => {
    expect(responseFormat(accept)).toBe(format);
  });
});
