import cf from 'cloudfront';

const kvs = cf.kvs();

async function handler(event) {
  const request = event.request;
  try {
    request.uri = await kvs.get(request.uri);
    return request;
  } catch (err) {
    // not a moved path
  }
  if (!request.uri.split('/').pop().includes('.')) {
    request.uri = '/app/index.html';
  }
  return request;
}
