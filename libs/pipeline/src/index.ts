// The plugin pipeline (plugins arrive with their own issue). Phases are a closed list, in the order a
// request runs them, as Kong's are.
export const PHASES = ['rewrite', 'access', 'header_filter', 'body_filter', 'log'] as const;
export type Phase = (typeof PHASES)[number];
