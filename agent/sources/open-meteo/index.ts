// The Open-Meteo source's public face: jobs/ import from here, never from the files behind it.
export {
  createOpenMeteoSource,
  type LocationResult,
  type OpenMeteoSource,
  type OpenMeteoSourceOptions,
} from './source.ts';
export { MAX_FUTURE_SECONDS } from './response.ts';
export { MAX_LOCATIONS_PER_REQUEST } from './budget.ts';
