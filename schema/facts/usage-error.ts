/** A wrong command line: printed as one line without a stack trace, exit status 2 (as argparse and commander do). */
export class UsageError extends Error {}

/** The exit status of a wrong command line. */
export const USAGE_EXIT_CODE = 2;
