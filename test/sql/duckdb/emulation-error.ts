/** A problem in the harness or a Snowflake construct it cannot run: fails the test, never a task run. */
export class EmulationError extends Error {}
