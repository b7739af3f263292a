// Output blocks come back (TlsEngine.releaseOutputChunk): testkit's describeOutputBlocks on two
// s2n engines in memory.
import { describeOutputBlocks } from '@proxy/testkit';
import { connected } from './support/connected.js';

describeOutputBlocks('s2n', connected);
