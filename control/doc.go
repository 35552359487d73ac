// Package control is edge's CloudFront-compatible control API (REST XML, version 2020-05-31),
// so that the AWS CLI and the AWS SDKs work against edge unchanged (with --endpoint-url or
// BaseEndpoint).
//
// # Operations
//
//   - CreateInvalidation  POST /2020-05-31/distribution/{Id}/invalidation (201, Location)
//   - GetInvalidation     GET  /2020-05-31/distribution/{Id}/invalidation/{InvalidationId}
//   - ListInvalidations   GET  /2020-05-31/distribution/{Id}/invalidation?Marker=&MaxItems=
//   - CreateDistribution         POST   /2020-05-31/distribution  (201, Location, ETag)
//   - CreateDistributionWithTags POST   /2020-05-31/distribution?WithTags
//   - GetDistribution            GET    /2020-05-31/distribution/{Id}          (ETag header)
//   - GetDistributionConfig      GET    /2020-05-31/distribution/{Id}/config   (ETag header)
//   - UpdateDistribution         PUT    /2020-05-31/distribution/{Id}/config   (If-Match)
//   - DeleteDistribution         DELETE /2020-05-31/distribution/{Id}          (If-Match; 204)
//   - ListDistributions          GET    /2020-05-31/distribution?Marker=&MaxItems=
//   - ListTagsForResource        GET    /2020-05-31/tagging?Resource={ARN}
//   - TagResource, UntagResource POST   /2020-05-31/tagging?Operation=Tag|Untag&Resource={ARN}  (204)
//   - CreateFunction    POST   /2020-05-31/function (201, Location, ETag)
//   - DescribeFunction  GET    /2020-05-31/function/{Name}/describe?Stage=  (ETag header)
//   - GetFunction       GET    /2020-05-31/function/{Name}?Stage=  (the code, application/octet-stream)
//   - UpdateFunction    PUT    /2020-05-31/function/{Name}  (If-Match; ETag and ETtag headers)
//   - PublishFunction   POST   /2020-05-31/function/{Name}/publish  (If-Match)
//   - ListFunctions     GET    /2020-05-31/function?Stage=&Marker=&MaxItems=
//   - DeleteFunction    DELETE /2020-05-31/function/{Name}  (If-Match; 204)
//   - TestFunction      POST   /2020-05-31/function/{Name}/test  (If-Match)
//   - Create{Kind}      POST   /2020-05-31/{kind}  (201, Location, ETag)
//   - Get{Kind}         GET    /2020-05-31/{kind}/{Id}  (ETag header)
//   - Get{Kind}Config   GET    /2020-05-31/{kind}/{Id}/config  (ETag header)
//   - Update{Kind}      PUT    /2020-05-31/{kind}/{Id}  (If-Match), for CachePolicy, OriginRequestPolicy,
//     ResponseHeadersPolicy and KeyGroup; PUT /2020-05-31/{kind}/{Id}/config for PublicKey and
//     OriginAccessControl
//   - Delete{Kind}      DELETE /2020-05-31/{kind}/{Id}  (If-Match; 204)
//   - List{Kind}s       GET    /2020-05-31/{kind}?Marker=&MaxItems= (policies: &Type=managed|custom)
//
// where {Kind} and {kind} are CachePolicy (cache-policy), OriginRequestPolicy
// (origin-request-policy), ResponseHeadersPolicy (response-headers-policy), PublicKey
// (public-key), KeyGroup (key-group) and OriginAccessControl (origin-access-control).
//
// Requests are routed on the path as sent: split on "/" first, then each segment
// percent-decoded, so that an {Id} or {Name} holding an encoded "/" (as the SDKs send one) is
// one label, never a path into another operation.
//
// Every other request gets the AWS error envelope (ErrorResponse) with code InvalidAction. Errors use CloudFront's codes and
// statuses (the Errors section of each operation's page in the API Reference, for example
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateInvalidation.html).
//
// # Authentication
//
// With api.auth = "sigv4" (the default; an empty value means sigv4 too) every request must carry
// an AWS Signature Version 4 Authorization header for service "cloudfront" and region
// "us-east-1", made with one of the configured api.key pairs, and an X-Amz-Date within 15
// minutes of the server clock. The signature is checked by re-signing the request with
// aws-sdk-go-v2's signer and comparing. Failures get 403 with the AWS error body
// (MissingAuthenticationToken, IncompleteSignature, InvalidClientTokenId, SignatureDoesNotMatch).
// api.auth = "none" turns the check off (local use only).
//
// Every check that needs no body (the Authorization header parses, names a configured key and
// the right scope, X-Amz-Date is current) runs as soon as the headers are in, so that such a
// request is refused before its body is read. Bodies are capped at 12 MiB, what a full
// CreateInvalidation batch of 3,000 paths of 4,000 characters needs; a larger Content-Length
// gets 413 (BatchTooLarge for CreateInvalidation, RequestEntityTooLarge otherwise, in the error
// envelope) before the body is read, a chunked body as soon as it goes over, and the
// connection is closed.
//
// # Distributions
//
// One model serves both sources: a distribution of the configuration file is shown through the
// API (its DistributionConfig rendered from the TOML, CallerReference "edge-<id>") and is
// read-only there (IllegalUpdate: change the file and reload, [Server.Reload]); a distribution
// created through the API is converted to a config.Distribution (toModel) and served like one
// from the file. The Server keeps the configuration file as loaded and the API's distributions,
// and the edge serves their merge ([Server.Config]): every change builds the merged
// configuration, checks it with config validation, hands it to the [Applier], and only when
// the edge takes it does the change show in the API and reach the state file. Reads never wait
// for a change (one atomic load of an immutable view).
//
// A DistributionConfig is read by element name in any order, without Content-Type, with
// "<Items />", "<Items></Items>" or no Items for empty lists; every {Quantity, Items} list must hold
// Quantity items (InconsistentQuantities); a member given twice, or elements nested over 64
// deep, are MalformedInput; going over a per-distribution quota (CNAMEs, origins, origin
// groups, cache behaviors) is that quota's TooMany… code. It is stored filled in as AWS fills
// it (every list wrapper, the default certificate's TLSv1, http2, PriceClass_All,
// IsIPV6Enabled, legacy TTLs 86400 and 31536000, origin timeouts 30 and 5 s, 3 attempts, 10 s
// connect, …), so that GetDistributionConfig sent back to UpdateDistribution changes nothing
// but the ETag, the LastModifiedTime and the Status. Elements newer than edge's model are
// echoed as sent at the top level and in origins and cache behaviors. Ids are "E" + 13
// characters, domain names "d" + 13 characters + ".cloudfront.net", ETags new on every change.
// Status reads InProgress after a change for api.deploy_delay (0: until the next read), then
// Deployed. Policies are named by id: managed ones by their AWS ids, those of the configuration
// file by an id derived from their names, those created through the API by theirs
// (policyids.go). TrustedKeyGroups name key groups of the file or of the API. A
// FunctionAssociation names a function of the file or a published function created through the
// API, whose LIVE code the edge then runs.
//
// Not served, only echoed: logging, geo restrictions, WebACLId, price class, HTTP version,
// IPv6, certificates, Origin Shield, origin SSL protocols, origin access identities,
// Lambda@Edge, field-level encryption, real-time logs. An S3 origin on a bucket's REST endpoint
// (BUCKET.s3.REGION.amazonaws.com) is an s3 origin: signed with SigV4 when its origin access
// control signs, anonymous otherwise, on AWS or on api.s3_endpoint. Other S3 origins are
// fetched over plain HTTP(S) on their DomainName (match-viewer). Trusted signers and staging
// distributions are refused.
//
// # Policies, public keys, key groups and origin access controls
//
// The same view holds them (resources.go): a change is checked against the distributions,
// merged into the configuration the edge serves (every policy and key group created through
// the API, policies under their ids, key groups with their keys' PEM), applied, saved and then
// shown, and the distributions that use what changed are served with it at once (their cached
// objects are fetched anew: their behavior changed). A change nothing serves (a public key in no
// key group, an origin access control no origin uses) is saved without a reload of the edge.
//
// Cache, origin request and response headers policies (policies.go): the managed ones with
// their AWS ids and API names (Managed-…), Type managed, immutable (IllegalUpdate,
// IllegalDelete); those of the configuration file, Type custom, read-only the same way; those
// created through the API, Type custom, UUIDs. A config is read like a DistributionConfig and
// stored filled in (DefaultTTL 86400 or MinTTL if larger, MaxTTL 31536000 or DefaultTTL if
// larger, every list of a block that is present with its Quantity), so that Get{Kind}Config
// sent back to Update{Kind} changes nothing but the ETag and LastModifiedTime. Names are unique
// per kind ({Kind}AlreadyExists); a policy that a behavior names is {Kind}InUse; the quotas of
// 10 headers, cookies and query strings, 10 custom and removed headers, 1,783 characters of
// Content-Security-Policy and 20 custom policies per kind have CloudFront's codes; cache key
// parameters in a policy whose TTLs are all 0 are InvalidArgument. Lists carry NextMarker,
// MaxItems and Quantity, without Marker or IsTruncated.
//
// Public keys and key groups (keygroups.go): a public key's id is "K" + 12 characters, its PEM is
// kept byte for byte, only its Comment changes (CannotChangeImmutablePublicKeyFields), and a
// key in a key group is PublicKeyInUse. A key group holds 1 to 5 public keys
// (TooManyPublicKeysInKeyGroup); an unknown one is NoSuchResource, one a behavior trusts
// ResourceInUse. Signed URLs and cookies of a behavior that trusts an API key group are checked
// with its keys (the Key-Pair-Id is the public key id). The file's [[key_group]]s and their keys
// are shown read-only.
//
// Origin access controls (oac.go): ids "E" + 13 characters; an origin naming an unknown one is
// InvalidOriginAccessControl, one with an origin access identity too
// IllegalOriginAccessConfiguration, an S3 one on a domain that is not a bucket's
// InvalidDomainNameForOriginAccessControl; one an origin uses is OriginAccessControlInUse.
//
// # State
//
// With api.state_dir, what the API created or changed (distributions with their
// CallerReference, filled config, ETag, tags and times; functions with both stages; policies,
// public keys, key groups and origin access controls with their config, ETag and time) is kept
// in state.json there (format version 2; version 1 files load too), rewritten whole, atomically
// and durably, before a change is answered; New reads it back. A name or id that the state and
// the configuration file both claim is a start-up (and reload) error naming both. Without it,
// API changes live in memory until the process ends.
//
// # Invalidations
//
// An accepted batch is written at once into the cache's lazy invalidation registry through the
// [Invalidator]; the cache is never walked. The invalidation then reads InProgress until
// api.invalidation_delay has passed, and Completed afterwards. Paths must start with "/", may
// carry "*" only as their last character, are at most 4,000 characters and are case-sensitive.
// A path is handed to the cache as written and, when it holds %XX escapes, also decoded (the
// viewer side keys objects by the decoded path); only a literal trailing "*" is a wildcard, an
// encoded "%2A" is the character "*". A CallerReference is at most 4,096 bytes without control
// characters (InvalidArgument), the rule every edge of a fleet applies to the batches it is
// handed. A path with a query string ("/a.jpg?v=1",
// "/a.jpg?v=*") invalidates every variant of its path part ("/a.jpg"): the registry matches
// paths, not query strings, so this errs on the side of refetching. "/" also invalidates the
// distribution's default root object ("/index.html"), under whose path the edge caches the root.
//
// At most 3,000 individual paths and 15 wildcard paths may be InProgress per distribution;
// a batch that would go over gets 400 TooManyInvalidationsInProgress. Each distribution keeps
// its InProgress invalidations and its newest Completed ones, up to 1,000 of them and 8 MiB of
// path text (whichever bound comes first, the newest one always), for Get, List and
// CallerReference idempotency; older ones are NoSuchInvalidation.
//
// # A fleet
//
// With [fleet] in the configuration (Config.Fleet), the API of every edge is the fleet's
// (fleet.go): CreateInvalidation publishes the batch (through NATS) before it answers, and
// every edge applies it; GetInvalidation reads Completed when api.invalidation_delay has passed
// and every live edge has applied it, or when fleet.invalidation_timeout has passed, and names
// the edges it waits for in X-Edge-Fleet-Pending (those it stopped waiting for in
// X-Edge-Fleet-Missing, and in the log). What the API creates or changes is written to the
// fleet's state, compare-and-set on the state this edge last took: a change that another edge
// made first is 412 PreconditionFailed. While NATS can't be reached, CreateInvalidation and
// every change answer 503 ServiceUnavailable and change nothing; reads are served.
//
// # Functions
//
// CloudFront Functions have a DEVELOPMENT stage (written by CreateFunction and UpdateFunction)
// and a LIVE stage (a copy made by PublishFunction), each with its own ETag; Status reads
// UNPUBLISHED until DEVELOPMENT is published, then DEPLOYED. UpdateFunction and
// PublishFunction want DEVELOPMENT's ETag in If-Match, DeleteFunction and TestFunction either
// stage's. A missing or malformed If-Match is InvalidIfMatchVersion, a stale one
// PreconditionFailed (InvalidIfMatchVersion for TestFunction, which has no PreconditionFailed).
// Code is compiled when it is written: over 10 KB is FunctionSizeLimitExceeded (413), code that
// does not compile InvalidArgument with the compiler's message. Without Stage, DescribeFunction
// and GetFunction read DEVELOPMENT and ListFunctions lists both stages (by name; NextMarker is
// "name" or "name:LIVE").
//
// The configuration's [[function]]s appear with both stages, DEPLOYED, with ETags derived from
// their content (stable across restarts); they can be described, fetched and tested, and
// UpdateFunction, PublishFunction and DeleteFunction refuse them (UnsupportedOperation): they
// change in the configuration. A [[key_value_store]] shows as the KeyValueStoreARN
// arn:aws:cloudfront::000000000000:key-value-store/<UUID derived from its name>, which
// CreateFunction and UpdateFunction accept. Functions created through the API are kept until
// deleted (in api.state_dir when set), at most 100 functions in all (TooManyFunctions). A
// distribution created through the API may run one once it is published; PublishFunction then
// hands the new LIVE code to the edge, and DeleteFunction of a function in use is FunctionInUse.
//
// TestFunction runs the chosen stage on the event object (JSON, version 1.0) with the function's
// key value store and compute budget. A function that throws, returns an invalid object or
// exceeds its budget still gives 200, with FunctionErrorMessage (ComputeUtilization 100 for the
// budget) and the lines it logged; FunctionOutput is {"request":…} or {"response":…} in the
// event object's shape. TestFunctionFailed (500) means edge itself could not run the function.
//
// # Smooth Streaming media
//
// Smooth media (a path ending in .ism, .ismc, .ismv or .isma, or holding ".ism/", compared
// without regard to case) served by a behavior with smooth_streaming on cannot be invalidated;
// they must be renamed. A batch naming such a path, or a wildcard whose prefix already lies
// under "name.ism/" of such a behavior, fails whole with 400 InvalidArgument listing the paths.
// A wildcard that may cover Smooth media invalidates everything else under it and leaves the
// Smooth media cached: it is handed to a [SmoothAwareInvalidator] with an exclusion predicate
// that the cache evaluates lazily, at lookup. See [Server.SmoothMedia] for the exact rule.
package control
