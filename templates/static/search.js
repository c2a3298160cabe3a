/* The search page: Pagefind's index, queried from the browser. A classic script (module
   scripts do not load from file://); the index itself needs a web server, so opened from
   disk the page says so and keeps its links to the archive. The index comes in shards
   (pagefind/shards.json lists them): the first is loaded, the others merged into it. Pages edited since
   their shard was indexed are in a shard of recent edits, merged last; what the other shards still hold
   of those pages (listed as superseded: an older copy, or a deleted page) is dropped. */
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
  var SHOWN = 20;

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
          var page = function (path) { return new URL("../" + path, list).href; };
          var edits = new Map(Object.entries(index.edits || {}).map(function (entry) { return [entry[0], page(entry[1])]; }));
          var superseded = new Set((index.superseded || []).map(page));
          return import(shards[0] + "pagefind.js").then(function (pagefind) {
            return pagefind.options({ excerptLength: 30 }).then(function () {
              return Promise.all(shards.slice(1).map(function (shard) { return pagefind.mergeIndex(shard, { excerptLength: 30 }); }));
            }).then(function () { return { pagefind: pagefind, edits: edits, superseded: superseded }; });
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

  // The data of the best results, in order of score, up to SHOWN, leaving out what a shard holds of a superseded
  // page unless it is the edits' copy (ids are unique within a shard only, so its page must match too). Only a
  // result's data names its page, so the data is loaded in turns until SHOWN are kept.
  function best(index, found, kept, seen) {
    var turn = found.splice(0, SHOWN - kept.length);
    if (!turn.length) return Promise.resolve(kept);
    return Promise.all(turn.map(function (result) { return result.data(); })).then(function (data) {
      data.forEach(function (page, at) {
        var url = pageUrl(page.url);
        if (index.superseded.has(url) && index.edits.get(turn[at].id) !== url) return;
        if (!seen.has(url)) kept.push(page); // an edit undone: the edits' copy is its shard's, twice
        seen.add(url);
      });
      return kept.length < SHOWN ? best(index, found, kept, seen) : kept;
    });
  }

  function search(query) {
    var ticket = ++latest;
    query = query.trim();
    if (!query) { list.textContent = ""; say(""); return; }
    say("Searching…");
    load().then(function (index) {
      if (!index) return [];
      return index.pagefind.search(query).then(function (found) { return best(index, found.results.slice(), [], new Set()); });
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

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = input.value;
    var address = new URL(location.href);
    address.searchParams.set("q", query);
    history.replaceState(null, "", address.href);
    search(query);
  });
  var timer = null;
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
