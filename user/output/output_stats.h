/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * output_stats.h - counters of the output stage (see core/stats.h).
 *
 * output.publish.*: the nanomsg publisher. nanomsg's NN_PUB drops silently
 * for a subscriber whose pipe is full and never tells the sender, so what is
 * countable here is what the sender sees: messages handed to the socket,
 * nn_send() failures, encode failures, and messages sent while no
 * subscriber was connected. Loss at a slow subscriber is counted by the
 * subscriber from seq gaps (`weir tail`).
 */
#ifndef WEIR_OUTPUT_STATS_H
#define WEIR_OUTPUT_STATS_H

#define OUTPUT_STATS(X)                                                  \
	X(OUTPUT_EVENTS_ALERT, "output.events.alert")                     \
	X(OUTPUT_EVENTS_FLOW, "output.events.flow")                       \
	X(OUTPUT_EVENTS_STATS, "output.events.stats")                     \
	X(OUTPUT_QUEUE_FULL, "output.queue_full")                         \
	X(OUTPUT_WRITE_ERRORS, "output.write_errors")                     \
	X(OUTPUT_PUBLISH_SENT, "output.publish.sent")                     \
	X(OUTPUT_PUBLISH_BYTES, "output.publish.bytes")                   \
	X(OUTPUT_PUBLISH_SEND_FAILED, "output.publish.send_failed")       \
	X(OUTPUT_PUBLISH_ENCODE_ERRORS, "output.publish.encode_errors")   \
	X(OUTPUT_PUBLISH_NO_SUBSCRIBER, "output.publish.no_subscriber")

#endif
