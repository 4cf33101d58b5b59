import 'aws-sdk-client-mock-vitest/extend';
import { withResolversPolyfill } from '../local/polyfills.js';

withResolversPolyfill();
