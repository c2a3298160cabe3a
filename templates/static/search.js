/* The search page: Pagefind's index, queried from the browser. A classic script (module
   scripts do not load from file://); the index itself needs a web server, so opened from
   disk the page says so and keeps its links to the archive. The index comes in shards
   (pagefind/shards.json lists them): the first is loaded, the others merged into it. */
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  if (!form) return;
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var fallback = document.getElementById("search-fallback");
  var loading = null;
  var latest = 0;

  function say(text) { status.textContent = text; }

  // Pagefind gives folder addresses ("/digest/stories/x/#part"); name the file, as every link of the site does.
  function pageUrl(url) {
    var address = new URL(url, location.href);
    if (address.pathname.slice(-1) === "/") address.pathname += "index.html";
    return address.href;
  }

  function load() {
    if (!loading) {
      if (location.protocol === "file:") {
        loading = Promise.reject(new Error("file"));
      } else {
        var list = new URL(form.getAttribute("data-pagefind"), document.baseURI).href;
        loading = fetch(list).then(function (response) {
          if (!response.ok) throw new Error(response.status + " " + list);
          return response.json();
        }).then(function (index) {
          var shards = index.shards.map(function (name) { return new URL(name + "/", list).href; });
          if (!shards.length) return null; // a site with nothing to search
          return import(shards[0] + "pagefind.js").then(function (pagefind) {
            return pagefind.options({ excerptLength: 30 }).then(function () {
              return Promise.all(shards.slice(1).map(function (shard) { return pagefind.mergeIndex(shard, { excerptLength: 30 }); }));
            }).then(function () { return pagefind; });
          });
        });
      }
    }
    return loading;
  }

  function render(query, results) {
    list.textContent = "";
    results.forEach(function (data) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = pageUrl(data.url);
      link.textContent = (data.meta && data.meta.title) || data.url;
      var heading = document.createElement("h2");
      heading.className = "card-title";
      heading.appendChild(link);
      var excerpt = document.createElement("p");
      excerpt.innerHTML = data.excerpt; // Pagefind escapes the text and adds <mark>
      item.appendChild(heading);
      // What a reader needs to pick a result: its section, date and outlets (from the page's data-pagefind-meta).
      var facts = ["section", "date", "outlets"].map(function (key) { return data.meta && data.meta[key]; })
                                                .filter(function (value) { return value; });
      if (facts.length) {
        var line = document.createElement("p");
        line.className = "meta";
        line.textContent = facts.join(" · ");
        item.appendChild(line);
      }
      item.appendChild(excerpt);
      list.appendChild(item);
    });
    say(results.length ? results.length + (results.length === 1 ? " result" : " results") + " for “" + query + "”."
                       : "Nothing found for “" + query + "”.");
  }

  function search(query) {
    var ticket = ++latest;
    query = query.trim();
    if (!query) { list.textContent = ""; say(""); return; }
    say("Searching…");
    load().then(function (pagefind) {
      if (!pagefind) return [];
      return pagefind.search(query).then(function (found) {
        return Promise.all(found.results.slice(0, 20).map(function (r) { return r.data(); }));
      });
    }).then(function (results) {
      if (ticket !== latest) return;
      fallback.hidden = true;
      render(query, results);
    }).catch(function () {
      if (ticket !== latest) return;
      fallback.hidden = false;
      say(location.protocol === "file:"
        ? "Search does not work on pages opened from disk. Serve the site folder with a web server, or use the links below."
        : "The search index could not be loaded. Use the links below, or try again later.");
    });
  }

  var timer = null;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer); // the query typed just before Enter is searched now, not once more when the pause ends
    var query = input.value;
    var address = new URL(location.href);
    address.searchParams.set("q", query);
    history.replaceState(null, "", address.href);
    search(query);
  });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { search(input.value); }, 250);
  });

  var initial = new URL(location.href).searchParams.get("q");
  if (initial) { input.value = initial; search(initial); }
  else if (location.protocol === "file:") {
    say("Search does not work on pages opened from disk. Serve the site folder with a web server, or use the links below.");
  } else { load().then(function () { fallback.hidden = true; }, function () {}); }
})();
