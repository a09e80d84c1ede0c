/* rd_op_streams: the DynamoDB Streams API (service DynamoDBStreams_20120810):
 * ListStreams, DescribeStream, GetShardIterator and GetRecords, as handlers for the
 * command table. The data comes from rd_stream (streams, shards, the change log). */
#ifndef RD_OP_STREAMS_H
#define RD_OP_STREAMS_H

#include "rd_dispatch.h"

/* Each returns 0 with the reply in req->out, or -1 with req->err set. */
int rd_op_list_streams(rd_req_t *req);
int rd_op_describe_stream(rd_req_t *req);
int rd_op_get_shard_iterator(rd_req_t *req);
int rd_op_get_records(rd_req_t *req);

#endif
