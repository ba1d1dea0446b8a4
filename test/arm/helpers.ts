// The ARM emulator's test harness lives with the emulator (local/test/arm/helpers.ts); the app's tests
// that run against the emulator take it from here.
export * from '../../local/test/arm/helpers';
