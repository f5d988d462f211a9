/**
 * `balance.execution`: how a plan is carried out. Moves run in batches, at most `perBroker` in
 * flight on any one broker and `maxInFlight` in all; no batch starts in a blackout window, past
 * `maxMovesPerHour`, or while any partition is under-replicated or offline. The replication
 * throttle is sized from each broker's headroom (balance.capacity × utilization minus the client
 * traffic measured over `throttle.rateWindow`, or over the last `throttle.surgeWindow` when that is
 * higher), between `throttle.floor` and `throttle.ceiling`.
 */
import * as z from 'zod';
import { parseBlackout } from './windows.ts';

/** The executor's settings. */
export const executionConfigSchema = z.strictObject({
  /** Moves in flight that copy from or to one broker (its leader replica or a new replica). */
  perBroker: z.int().min(1).default(2),
  /** Moves in flight in all. */
  maxInFlight: z.int().min(1).default(20),
  /** Moves started in any hour, at most. */
  maxMovesPerHour: z.int().min(1).default(120),
  /** Times no batch starts (UTC): `HH:MM-HH:MM` or a five-field cron expression. */
  blackout: z.array(z.string().superRefine((text, ctx) => {
    const w = parseBlackout(text);
    if (typeof w === 'string') ctx.addIssue({ code: 'custom', message: w });
  })).default([]),
  /** Seconds between checks of the moves in flight. */
  pollInterval: z.number().positive().default(5),
  throttle: z.strictObject({
    /** Most bytes/s a broker's replication throttle is set to, whatever its headroom. */
    ceiling: z.number().positive().default(100 * 2 ** 20),
    /** Least bytes/s: a move always progresses, however busy the broker. */
    floor: z.number().positive().default(2 ** 20),
    /** Seconds of client traffic the headroom is measured over. */
    rateWindow: z.number().positive().default(300),
    /**
     * Seconds of the most recent client traffic also measured: a broker's traffic is the higher of
     * the two rates, so a surge lowers the throttle at the next poll (the move yields at once), while
     * room is taken back only as the longer window shows it. A surge window longer than the rate
     * window is the rate window.
     */
    surgeWindow: z.number().positive().default(30),
  }).prefault({}).refine((t) => t.ceiling >= t.floor, { message: 'the ceiling is below the floor', path: ['ceiling'] }),
  /** Elect each moved partition's preferred leader once every move is done. */
  electLeaders: z.boolean().default(true),
  /** What a process that finds an execution left running by a stopped process does with it. */
  onRecovery: z.enum(['continue', 'cancel']).default('continue'),
  /** Seconds without news from the process running an execution after which another takes it over. */
  takeOverAfter: z.number().positive().default(60),
}).prefault({});

/** The validated settings. */
export type ExecutionConfig = z.output<typeof executionConfigSchema>;
