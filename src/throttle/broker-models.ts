/**
 * The brokers' load models, pure: each broker's model this round (fitted, or the network alone
 * when the fit's recent one-round-ahead errors are too large), last round's models checked
 * against what the brokers then did, and the client capacity a model leaves each direction.
 */
import { amplificationOf, clientCapacity, type ClientCapacity, type Direction } from './capacity.ts';
import { fitLoadModel, fixedModel, predictUtilization, type LoadModel } from './model.ts';
import type { BrokerReading, Readings } from './signals.ts';

/** Where a direction's capacity comes from. */
export interface BoundBy extends ClientCapacity {
  readonly broker: string | undefined;
}

/** Rounds of one-round-ahead error kept per broker. */
export const MODEL_ERROR_ROUNDS = 5;

/** One broker's check of last round's model: its utilization predicted from the traffic now, and observed. */
export interface ModelCheck {
  readonly broker: string;
  readonly predicted: number;
  readonly observed: number;
  /** |observed − predicted|, utilization. */
  readonly error: number;
}

/** The client capacity of one direction on one broker under its model (see capacity.ts). */
export function brokerCapacity(model: LoadModel, broker: BrokerReading, direction: Direction, target: number, all: readonly BrokerReading[]): ClientCapacity {
  const handlers = broker.handlerIdle === undefined ? 0 : 1 - broker.handlerIdle;
  const network = Math.max(broker.bytesIn / broker.capacityIn, broker.bytesOut / broker.capacityOut);
  return clientCapacity(model, broker, direction, target, amplificationOf(broker, all), handlers > network);
}

/**
 * Each broker's model this round: fitted, unless the broker's recent one-round-ahead errors say
 * the fit cannot be trusted, when the network alone bounds its traffic.
 */
export function modelsOf(readings: Readings, errors: ReadonlyMap<string, readonly number[]>, maxError: number): Map<string, LoadModel> {
  const models = new Map<string, LoadModel>();
  for (const b of readings.brokers) {
    const network = { bytesInPerSec: b.capacityIn, bytesOutPerSec: b.capacityOut };
    const fit = fitLoadModel(readings.history.get(b.broker) ?? [], network);
    // The worst of the recent errors, not their mean: rounds the network alone explains (the
    // fit is then right by construction) would dilute a fit that was far off in the rounds that
    // mattered, and it is in those that a fit sets the capacity.
    const recent = errors.get(b.broker) ?? [];
    const worst = recent.length === 0 ? 0 : Math.max(...recent);
    models.set(b.broker, fit.kind === 'fit' && worst > maxError
      ? fixedModel(network, fit.samples, fit.diversity, `one-round-ahead error up to ${(100 * worst).toFixed(1)} points over the last ${recent.length} round(s), over ${(100 * maxError).toFixed(1)}: the handler fit is not used, the network bounds traffic`, fit.inOutCorrelation)
      : fit);
  }
  return models;
}

/** Last round's models against this round's brokers, and the recent errors with this round's. */
export function checkModels(readings: Readings, previous: ReadonlyMap<string, LoadModel> | undefined, previousErrors: ReadonlyMap<string, readonly number[]> | undefined): { checks: ModelCheck[]; errors: Map<string, number[]> } {
  const checks: ModelCheck[] = [];
  const errors = new Map<string, number[]>();
  for (const b of readings.brokers) {
    const last = previous?.get(b.broker);
    const kept = [...(previousErrors?.get(b.broker) ?? [])];
    if (last !== undefined) {
      const predicted = predictUtilization(last, b);
      const error = Math.abs(b.utilization - predicted);
      checks.push({ broker: b.broker, predicted, observed: b.utilization, error });
      kept.push(error);
    }
    errors.set(b.broker, kept.slice(-MODEL_ERROR_ROUNDS));
  }
  return { checks, errors };
}
