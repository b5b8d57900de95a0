/**
 * The front door of `npm start`, in a process of its own, with every route sent to the bare
 * Express server: what the proxy hop alone costs, with nothing slow behind it.
 */
import type { AddressInfo } from 'node:net';
import { createFrontDoor } from '../scripts/start/front-door.js';

const port = Number(process.env.BARE_PORT);
const door = createFrontDoor({ auth: port, tickets: port, orders: port, payments: port, client: port });
process.on('disconnect', () => process.exit(0));
door.listen(0, '127.0.0.1', () => process.send!({ port: (door.address() as AddressInfo).port }));
