/** Public surface of the telephony adapters. Nothing else in the service imports AMI/ARI libraries. */
export * from './events';
export { AmiClient } from './ami-client';
export type { OriginateParams, SpyMode } from './ami-client';
export type { AmiServerConfig, AmiConnectionOptions, LinkStatus } from './ami-connection';
export { AriClient } from './ari-client';
export type { AriServerConfig, AriClientOptions } from './ari-client';
export type { ChannelListener } from './ari-view';
export { TelephonyHub } from './hub';
export type { TelephonyServerConfig, TelephonyHubOptions, HubStatus, ServerStatus } from './hub';
export { registerTelephonyMetrics } from './metrics';
export { TelephonyError } from './errors';
export { interfaceOfChannel } from './ami-resync';
