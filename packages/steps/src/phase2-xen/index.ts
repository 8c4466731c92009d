export * from './keywords.js';
export * from './emerge-xen.js';
export * from './xen-services.js';
export * from './net-hotplug.js';
