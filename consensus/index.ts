export * from './dev/devProducer.js'
