/**
 * V8 options for each Node.js process `npm start` runs (the launcher, every service, the web
 * client). V8 sizes the young generation from the machine's memory, up to 64 MB per
 * semi-space: the allocations of a start grow each process's new space to 128 MB, resident
 * from then on, although the live heap is some 20 MB. Eight processes on one machine paid that
 * eight times over (a service at 250 MB RSS; 170 MB after load with 8 MB semi-spaces). Request
 * garbage dies young in 8 MB just as well: no more CPU per request, where 4 MB cost some 10%.
 */
export const NODE_HEAP_OPTIONS: readonly string[] = ['--max-semi-space-size=8'];
