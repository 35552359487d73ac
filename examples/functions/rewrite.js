// Viewer request: clean URLs for a static site (/about → /about/index.html), and a KeyValueStore
// of redirects kept outside the code (kvs/redirects.json): a listed path gets a 301.
import cf from 'cloudfront';

const redirects = cf.kvs();

async function handler(event) {
  const request = event.request;
  const uri = request.uri;
  try {
    const target = await redirects.get(uri);
    return {
      statusCode: 301,
      statusDescription: 'Moved Permanently',
      headers: { location: { value: target } },
    };
  } catch (e) {
    // not a redirect
  }
  if (uri.endsWith('/')) {
    request.uri += 'index.html';
  } else if (!uri.includes('.')) {
    request.uri += '/index.html';
  }
  return request;
}
