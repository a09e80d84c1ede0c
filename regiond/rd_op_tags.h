/* rd_op_tags: TagResource, UntagResource, ListTagsOfResource (tables by ARN), and the
 * account-level DescribeLimits and DescribeEndpoints, as handlers for the command
 * table. */
#ifndef RD_OP_TAGS_H
#define RD_OP_TAGS_H

#include "rd_dispatch.h"

/* Each returns 0 with the reply in req->out, or -1 with req->err set. */
int rd_op_tag_resource(rd_req_t *req);
int rd_op_untag_resource(rd_req_t *req);
int rd_op_list_tags_of_resource(rd_req_t *req);
int rd_op_describe_limits(rd_req_t *req);
int rd_op_describe_endpoints(rd_req_t *req);

#endif
