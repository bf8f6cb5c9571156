// The parts of the Open-Meteo stand-in that copy the real server's access rules, each from the
// file of open-meteo/open-meteo it follows (read there; no code copied):
// - Sources/App/Helper/Vapor/RateLimiter.swift: per-IP calls per minute/hour/day (600, 5,000,
//   10,000), cleared every minute, on the hour and at 00:00 UTC; a request is refused with 429
//   and no Retry-After while a counter is at its limit; the reason texts.
// - Sources/App/Helper/Writer/ForecastApiResult.swift (calculateQueryWeight): a location weighs
//   max(1, variables x models / 10).
// - Sources/App/Helper/Vapor/ApiKeyManager.swift (withApiParameter): on the free host an apikey
//   gets a 303 to the customer- host (or a 400 when that URL would be 3,500 characters or more),
//   a request weighing more than the hourly limit gets 400 "requests too much data", an answered
//   error costs 1 call; on the customer host a missing key is 401, an unknown key 400.
// - Sources/App/Helper/ForecastapiQuery.swift: 400 "No data is available for this location".

export interface StubLimits {
  minute: number;
  hour: number;
  day: number;
}

export const REAL_FREE_LIMITS: StubLimits = { minute: 600, hour: 5000, day: 10_000 };

export const REASONS = {
  minutely: 'Minutely API request limit exceeded. Please try again in one minute.',
  hourly: 'Hourly API request limit exceeded. Please try again in the next hour.',
  daily: 'Daily API request limit exceeded. Please try again tomorrow.',
  tooMuchData: 'Your API call requests too much data. Please reduce the number of variables, locations and/or weather models.',
  redirectTooLong: "Your API URL is too long for automatic redirection from the open-access API to the commercial endpoints. Instead, use the 'customer-' prefixed URLs directly. Refer to the API documentation and select 'Usage -> Commercial' to obtain the correct customer URLs.",
  keyRequired: 'API key required. Please add &apikey= to the URL.',
  keyInvalid: 'The supplied API key is invalid.',
  noData: 'No data is available for this location',
} as const;

export function stubWeight(locations: number, variables: number, models: number): number {
  return locations * Math.max(1, (variables * Math.max(1, models)) / 10);
}

export interface RateLimiter {
  /** The 429 reason when the address is over a limit now, else undefined. */
  check(): string | undefined;
  add(calls: number): void;
  usage(): { minute: number; hour: number; day: number };
}

/** One address's counters (the stand-in serves one client), cleared as the server clears them. */
export function createRateLimiter(limits: StubLimits, now: () => Date): RateLimiter {
  const keys = { minute: '', hour: '', day: '' };
  const used = { minute: 0, hour: 0, day: 0 };
  const lengths = { minute: 16, hour: 13, day: 10 } as const;
  const roll = () => {
    const iso = now().toISOString();
    for (const window of ['minute', 'hour', 'day'] as const) {
      const key = iso.slice(0, lengths[window]);
      if (key !== keys[window]) {
        keys[window] = key;
        used[window] = 0;
      }
    }
  };
  return {
    check() {
      roll();
      if (used.minute >= limits.minute) return REASONS.minutely;
      if (used.hour >= limits.hour) return REASONS.hourly;
      if (used.day >= limits.day) return REASONS.daily;
      return undefined;
    },
    add(calls) {
      roll();
      used.minute += calls;
      used.hour += calls;
      used.day += calls;
    },
    usage() {
      roll();
      return { ...used };
    },
  };
}
