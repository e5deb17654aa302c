// Bodies of responses the gateway itself generates (kong/error_handlers.lua, kong/tools/http.lua), once.
export const PROXY_ERRORS = {
  noRoute: { status: 404, message: 'no Route matched with those values' },
  badGateway: { status: 502, message: 'An invalid response was received from the upstream server' },
  unavailable: { status: 503, message: 'The upstream server is currently unavailable' },
  noPeer: { status: 503, message: 'failure to get a peer from the ring-balancer' },
  nameResolutionFailed: { status: 503, message: 'name resolution failed' },
  timeout: { status: 504, message: 'The upstream server is timing out' },
  badRequest: { status: 400, message: 'Bad request' },
  /** the client did not send its request (headers, or body) in time: slow-client protection */
  requestTimeout: { status: 408, message: 'Request timeout' },
  headersTooLarge: { status: 431, message: 'Request header or cookie too large' },
  /**
   * a request body a plugin needs is larger than the gateway buffers: request-size-limiting's text,
   * so a refusal reads the same whichever limit refused it (Kong's nginx says 'Payload too large'
   * for its client_max_body_size, which is unlimited by default)
   */
  requestTooLarge: { status: 413, message: 'Request size limit exceeded' },
  internal: { status: 500, message: 'An unexpected error occurred' },
} as const;

export type ProxyErrorName = keyof typeof PROXY_ERRORS;
