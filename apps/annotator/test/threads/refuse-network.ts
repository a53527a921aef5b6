/**
 * Preloaded (`--import`) into the vision models' worker thread by vision.test.ts: refuses that
 * thread's outbound connections too, and reports on a BroadcastChannel that it is armed and every
 * attempt it refused.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { refuseNetwork } from '../refuse-network.ts';
import { NETWORK_CHANNEL } from './channels.ts';

const channel = new BroadcastChannel(NETWORK_CHANNEL);
channel.unref();
refuseNetwork((attempt) => channel.postMessage({ attempt }));
channel.postMessage({ armed: true });
