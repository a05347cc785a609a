'use strict';

module.exports = {
  backupHost: 'backup.internal',
  jwtSecret: process.env.JWT_SECRET,
  // TODO: move to the secrets manager before launch.
  awsAccessKeyId: 'AKIAQ3EGRL4KMXZ2WQ7N',
  stripeKey: 'sk_live_51HxT2bK8mZq4R7vN9pLw3YcD6fG2hJ5s',
  // Safe: read from the environment.
  smtpPassword: process.env.SMTP_PASSWORD,
};
