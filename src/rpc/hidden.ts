/**
 * Core's hidden test helpers that tests call between steps. chainsnap connects blocks before a call returns
 * and has no validation-interface queue, so there is nothing to wait for.
 */
import type { RpcMethod } from './method.js';

const syncwithvalidationinterfacequeue: RpcMethod = {
  name: 'syncwithvalidationinterfacequeue',
  category: 'hidden',
  description: 'Waits for the validation interface queue to catch up on everything that was there when we entered this function.',
  args: [],
  result: 'null',
  handler: () => null,
};

export const hiddenMethods: RpcMethod[] = [syncwithvalidationinterfacequeue];
