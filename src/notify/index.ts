/** The notification pipeline's public surface. */
export { loadNotifyConfigFile, notifyConfigSchema, parseNotifyConfig, parseNotifyConfigYaml, type NotifyConfig } from './config.ts';
export { Notifier, type NotifierOptions } from './notifier.ts';
export { MemoryNotifier, type MemoryNotifierOptions } from './memory-notifier.ts';
export { SilenceStore } from './silences.ts';
export type { NewSilence, Silence, SilenceMatcher, SilenceState } from './silence-match.ts';
export type { AlertView } from './dispatcher.ts';
export type { AlertSink, Notification, OutgoingAlert, Receiver, SendResult } from './types.ts';
