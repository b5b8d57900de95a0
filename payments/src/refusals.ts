import { AppError, badRequest, notFound } from '@ticketing/common';

// Why a payment is refused, as the buyer is told (docs/design.md §3): one wording wherever it is decided.

export const orderNotFound = () => notFound('Order not found');
export const cancelledOrder = () => badRequest('Cannot pay for a cancelled order');
export const alreadyPaid = () => badRequest('Order has already been paid');
export const expiredOrder = () => badRequest('Order has expired');
export const providerUnavailable = () => new AppError(502, [{ message: 'Payment provider unavailable' }]);
export const ordersUnavailable = () => new AppError(503, [{ message: 'Orders service unavailable; try again in a moment' }]);
/** The order exists, but this service has not heard of it within the bound (its events are held up). */
export const orderNotReady = () => new AppError(503, [{ message: 'The order is not ready for payment yet; try again in a moment' }]);
