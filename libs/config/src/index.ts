export * from './settings';
export * from './version';
export { parseCidr, parseIp, type Cidr } from './cidr';
export { ALL_RESPONSE_HEADERS, type ResponseHeaderFlags } from './proxy-settings';
