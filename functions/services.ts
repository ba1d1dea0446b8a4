import { createServices } from '../lib/services';

export const services = createServices(process.env);
