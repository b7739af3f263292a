// The upstream half of the shared conformance suite (@proxy/testkit) on this backend: nginx as
// the TLS origin, HttpProxy and this backend's connector in between.
import '@proxy/tls-s2n';
import { describeUpstreamConformance } from '@proxy/testkit';

describeUpstreamConformance({
  expectedBackend: 's2n',
});
