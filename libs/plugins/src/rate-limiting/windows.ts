// Fixed windows as Kong aligns them (kong/tools/timestamp.lua get_timestamps): each period starts at
// the UTC second, minute, hour, day, first of the month, first of January; a window's key carries its
// start in epoch milliseconds. Window lengths are Kong's expiration.lua (a month is 30 days, a year
// 365), used for counter expiry and for RateLimit-Reset.
import { PERIODS } from './schema';

export type Period = (typeof PERIODS)[number];

/** seconds (kong/plugins/rate-limiting/expiration.lua) */
export const EXPIRATION: Readonly<Record<Period, number>> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  month: 2592000,
  year: 31536000,
};

const DAY_MS = 86_400_000;

/** month and year starts change once a day at most: computed with a Date only when the day changes */
let cachedDay = -1;
let cachedMonth = 0;
let cachedYear = 0;

function calendarStarts(dayStart: number): void {
  if (dayStart === cachedDay) return;
  const d = new Date(dayStart);
  cachedMonth = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  cachedYear = Date.UTC(d.getUTCFullYear(), 0, 1);
  cachedDay = dayStart;
}

/** The start (epoch ms, UTC) of the window of `period` that `nowMs` falls in. */
export function windowStart(period: Period, nowMs: number): number {
  switch (period) {
    case 'second':
      return nowMs - (nowMs % 1000);
    case 'minute':
      return nowMs - (nowMs % 60_000);
    case 'hour':
      return nowMs - (nowMs % 3_600_000);
    case 'day':
      return nowMs - (nowMs % DAY_MS);
    case 'month':
      calendarStarts(nowMs - (nowMs % DAY_MS));
      return cachedMonth;
    case 'year':
      calendarStarts(nowMs - (nowMs % DAY_MS));
      return cachedYear;
  }
}

/** Kong's RateLimit-Reset: seconds left in the window, counted with Kong's fixed window lengths, at least 1. */
export function secondsToReset(period: Period, nowMs: number, start: number): number {
  return Math.max(1, EXPIRATION[period] - Math.floor((nowMs - start) / 1000));
}

/** The start (epoch ms, UTC) of the window of `period` after the one starting at `start`. */
export function windowEnd(period: Period, start: number): number {
  if (period === 'month' || period === 'year') {
    const d = new Date(start);
    return period === 'month' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) : Date.UTC(d.getUTCFullYear() + 1, 0, 1);
  }
  return start + EXPIRATION[period] * 1000;
}

/**
 * The configured periods' current windows at some instant: valid, unchanged, for every instant in
 * [from, until). Replaced (never changed) when the clock leaves that range, so a request still
 * waiting on its counts keeps the windows it counted in.
 */
export interface Windows {
  starts: readonly number[];
  /** the latest window start (the shortest period's) */
  from: number;
  /** the earliest window end */
  until: number;
  /** per period, the redis key's tail `:<start>:<period>` */
  redisTails: readonly string[];
}

/** No windows yet: the first request computes them. */
export const NO_WINDOWS: Windows = { starts: [], from: Infinity, until: -Infinity, redisTails: [] };

/** The windows `now` (epoch ms) falls in, for each of `periods`. */
export function windowsAt(periods: readonly Period[], now: number): Windows {
  const starts: number[] = [];
  const redisTails: string[] = [];
  let from = -Infinity;
  let until = Infinity;
  for (const period of periods) {
    const start = windowStart(period, now);
    starts.push(start);
    redisTails.push(`:${start}:${period}`);
    from = Math.max(from, start);
    until = Math.min(until, windowEnd(period, start));
  }
  return { starts, from, until, redisTails };
}
