/* embedded.h: librdkafka's mock cluster inside the daemon, for demos and tests. */
#ifndef FEEDBACKD_EMBEDDED_H
#define FEEDBACKD_EMBEDDED_H

#include <stddef.h>

#include "config.h"

struct embedded;

/* Starts a one-broker mock cluster with every configured topic. */
struct embedded *embedded_start(const struct config *cfg, char *err, size_t err_size);

/* Its bootstrap address, "127.0.0.1:PORT". */
const char *embedded_bootstrap(const struct embedded *e);

void embedded_stop(struct embedded *e);

#endif
