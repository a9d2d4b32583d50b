export { accessRequest } from './access-request';
export { reconcile } from './reconcile';
export { collect } from './collect';
export { cleanup, cleanupRestore } from './cleanup';
export { digest } from './digest';
export { alert } from './alert';
