function handler(event) {
  var headers = event.response.headers;
  headers['strict-transport-security'] = { value: 'max-age=63072000' };
  headers['x-content-type-options'] = { value: 'nosniff' };
  return event.response;
}
