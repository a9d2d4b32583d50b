/**
 * The smallest workflow that answers an Update by running one activity: what Temporal alone costs
 * for "click → handler → activity → reply", the floor under the approve → grant figure.
 */
import { condition, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

export interface FloorActivities {
  doNothing(): Promise<void>;
}

const { doNothing } = proxyActivities<FloorActivities>({ startToCloseTimeout: '30 seconds' });

export const probeUpdate = defineUpdate<number, [number]>('probe');
export const stopSignal = defineSignal('stop');

export async function floorProbe(): Promise<void> {
  let stopped = false;
  setHandler(probeUpdate, async (round) => {
    await doNothing();
    return round;
  });
  setHandler(stopSignal, () => void (stopped = true));
  await condition(() => stopped);
}
