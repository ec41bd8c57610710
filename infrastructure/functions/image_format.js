// CloudFront viewer-request function (cloudfront-js-2.0) on the image behaviour (issue 11).
// It reads the viewer's Accept header as eduportal.domain.delivery does and rewrites the URI of
// a stored WebP to the variant that viewer gets: x.avif for browsers that accept AVIF, x.jpg
// for browsers that accept neither AVIF nor WebP, x.webp unchanged otherwise. The URI is the
// cache key, so a cached AVIF is never answered to a viewer that did not ask for it. A variant
// not made yet is a 403 from the bucket (OAC), and the origin group fails over to the portal,
// which answers the best representation it has (a JPEG made on the fly for x.jpg).
// Tested with node on tests/data/accept_headers.json, the table the Python rules are tested on.

var NEGOTIATED = /^\/(generated_images|processed|thumbnails)\/[A-Za-z0-9._\/-]+\.webp$/;
var QVALUE = /^[01](\.[0-9]{0,3})?$/;

function quality(parameters) {
  for (var i = 0; i < parameters.length; i++) {
    var pair = parameters[i].split("=");
    if (pair[0].trim().toLowerCase() === "q") {
      var value = pair.slice(1).join("=").trim();
      return QVALUE.test(value) ? parseFloat(value) : 0;
    }
  }
  return 1;
}

function deliveryFormat(accept) {
  var ranges = (accept || "").split(",");
  var accepted = {};
  var namesImages = false;
  for (var i = 0; i < ranges.length; i++) {
    var parts = ranges[i].split(";");
    var media = parts[0].trim().toLowerCase();
    if (media.indexOf("image/") === 0) {
      namesImages = true;
    }
    if (media && quality(parts.slice(1)) > 0) {
      accepted[media] = true;
    }
  }
  if (accepted["image/avif"]) {
    return "avif";
  }
  if (accepted["image/webp"] || !namesImages) {
    return "webp";
  }
  return "legacy";
}

function handler(event) {
  var request = event.request;
  if (!NEGOTIATED.test(request.uri)) {
    return request;
  }
  var accept = request.headers.accept;
  var format = deliveryFormat(accept ? accept.value : "");
  if (format === "avif") {
    request.uri = request.uri.slice(0, -4) + "avif";
  } else if (format === "legacy") {
    request.uri = request.uri.slice(0, -4) + "jpg";
  }
  return request;
}
