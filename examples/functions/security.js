// Viewer response: a header telling which edge answered, and a cookie remembering the visit.
function handler(event) {
  const response = event.response;
  response.headers['x-served-by'] = { value: event.context.distributionId };
  if (!event.request.cookies.visited) {
    response.cookies.visited = { value: '1', attributes: 'Path=/; Max-Age=86400' };
  }
  return response;
}
