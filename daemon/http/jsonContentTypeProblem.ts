/**
 * What is wrong with a request body's Content-Type for ntd's JSON routes, or undefined when it is
 * `application/json` (charset, if given, UTF-8). Requiring it is part of refusing web pages: a
 * page may POST `text/plain`, form or multipart bodies anywhere without asking first, but a JSON
 * body makes the browser ask the server (a CORS preflight), which only allowed origins pass.
 */
export function jsonContentTypeProblem(contentType: string | undefined): string | undefined {
  const hint = "send the JSON body with \"Content-Type: application/json\"";
  if (contentType === undefined) return `the request has no Content-Type; ${hint}`;
  const [mediaType = "", ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase());
  if (mediaType !== "application/json") return `the request's Content-Type is ${JSON.stringify(contentType)}; ${hint}`;
  const charset = parameters.find((parameter) => parameter.startsWith("charset="))?.slice("charset=".length).replace(/"/g, "");
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
    return `the request's body is in charset ${charset}; ntd reads JSON as UTF-8 only`;
  }
  return undefined;
}
